'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { slugify } = require('../src/slugify.js');

test('words are joined by dashes, punctuation dropped', () => {
  assert.equal(slugify('Hello, World!'), 'hello-world');
});

test('an empty text gives an empty slug', () => {
  assert.equal(slugify(''), '');
});
