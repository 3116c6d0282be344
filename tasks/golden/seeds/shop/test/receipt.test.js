'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { receiptLine } = require('../src/receipt.js');

test('label and cents', () => {
  assert.equal(receiptLine('tea', 250), 'tea: 250');
});
