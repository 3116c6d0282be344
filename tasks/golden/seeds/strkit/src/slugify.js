'use strict';

/** Lower-case words of `text` joined by dashes: "Hello, World!" -> "hello-world". */
function slugify(text) {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .join('-');
}

module.exports = { slugify };
