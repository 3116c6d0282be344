'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { capitalize } = require('../src/capitalize.js');

test('the first letter goes upper case', () => {
  assert.equal(capitalize('hello world'), 'Hello world');
});
