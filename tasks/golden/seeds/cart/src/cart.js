'use strict';

/** The sum in cents of the items of a cart ({cents, qty}). */
function getTotal(items) {
  return items.reduce((n, item) => n + item.cents * item.qty, 0);
}

module.exports = { getTotal };
