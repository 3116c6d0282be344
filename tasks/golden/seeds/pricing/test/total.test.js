'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { total } = require('../src/total.js');

test('sums the items', () => {
  assert.equal(total([{ cents: 250, qty: 2 }, { cents: 100, qty: 1 }]), 600);
});
