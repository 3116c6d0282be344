'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { invoice } = require('../src/invoice.js');

test('one line per item and the total', () => {
  assert.equal(invoice([{ name: 'tea', cents: 250, qty: 2 }]), '2 x tea: 500\ntotal: 500');
});
