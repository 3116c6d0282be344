'use strict';

/** One receipt line: the label and the amount in cents. */
function receiptLine(label, cents) {
  return `${label}: ${cents}`;
}

module.exports = { receiptLine };
