'use strict';

/** The price in cents after taking `percent` off, rounded to the nearest cent. */
function applyDiscount(cents, percent) {
  return Math.round(cents - percent);
}

module.exports = { applyDiscount };
