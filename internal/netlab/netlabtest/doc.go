// Package netlabtest wraps netlab for tests: New creates a lab bound to a
// test's lifetime, helpers fail the test instead of returning errors, and
// StartRalab runs the ralab binary, built once per test binary, in the
// router namespace.
//
// Tests that cannot run here (not root, a missing tool) are skipped with
// the reason, except when the environment variable CI is "true": then a
// missing requirement fails the test, because a skip in CI hides a broken
// setup.
package netlabtest
