'use strict';
const { applyDiscount } = require('./discount.js');

/** The total in cents of `items` ({cents, qty}), with `percent` off the whole. */
function total(items, percent = 0) {
  const sum = items.reduce((n, item) => n + item.cents * item.qty, 0);
  return applyDiscount(sum, percent);
}

module.exports = { total };
