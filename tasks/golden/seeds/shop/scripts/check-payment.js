'use strict';
// The payment code's own rule, run as verification tier1 when it changes: amounts stay in
// integer cents, so no floating-point parsing or rounding to cents in src/payment/.
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', 'src', 'payment');
let bad = 0;
for (const name of fs.readdirSync(dir).sort()) {
  const text = fs.readFileSync(path.join(dir, name), 'utf8');
  for (const word of ['parseFloat', 'toFixed']) {
    if (text.includes(word)) {
      console.error(`${name}: uses ${word}; payment amounts are integer cents`);
      bad++;
    }
  }
}
console.log(`check-payment: ${bad === 0 ? 'ok' : `${bad} problem(s)`}`);
process.exitCode = bad === 0 ? 0 : 1;
