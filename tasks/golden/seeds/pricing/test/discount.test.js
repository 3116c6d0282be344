'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { applyDiscount } = require('../src/discount.js');

test('10 percent off 2000 cents is 1800 cents', () => {
  assert.equal(applyDiscount(2000, 10), 1800);
});

test('no discount keeps the price', () => {
  assert.equal(applyDiscount(999, 0), 999);
});
