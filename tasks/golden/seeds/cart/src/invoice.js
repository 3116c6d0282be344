'use strict';
const { getTotal } = require('./cart.js');

/** The invoice lines of a cart and its total line. */
function invoice(items) {
  const lines = items.map((item) => `${item.qty} x ${item.name}: ${item.cents * item.qty}`);
  return [...lines, `total: ${getTotal(items)}`].join('\n');
}

module.exports = { invoice };
