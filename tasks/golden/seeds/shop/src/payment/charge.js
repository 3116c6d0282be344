'use strict';

/** A charge record for an amount in whole cents. */
function charge(cents) {
  if (!Number.isInteger(cents) || cents <= 0) throw new RangeError(`cents must be a positive integer, got ${cents}`);
  return { cents };
}

module.exports = { charge };
