// Package browsertest renders HTML pages in headless Chromium for tests:
// the DOM after the page's scripts ran (--dump-dom) and every message the
// page wrote to the browser console, so that a test can assert that
// matrix.html and the report pages render with their key elements and
// without script errors, in a real browser rather than by reading the
// template's output.
package browsertest
