'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { getTotal } = require('../src/cart.js');

test('getTotal sums price times quantity', () => {
  assert.equal(getTotal([{ cents: 250, qty: 2 }, { cents: 100, qty: 3 }]), 800);
});

test('an empty cart is 0', () => {
  assert.equal(getTotal([]), 0);
});
