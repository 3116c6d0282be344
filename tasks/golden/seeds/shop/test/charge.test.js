'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { charge } = require('../src/payment/charge.js');

test('a charge keeps its cents', () => {
  assert.deepEqual(charge(1250), { cents: 1250 });
});

test('fractions of a cent are refused', () => {
  assert.throws(() => charge(12.5), RangeError);
});
