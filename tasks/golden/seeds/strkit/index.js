'use strict';

module.exports = {
  ...require('./src/slugify.js'),
  ...require('./src/capitalize.js'),
};
