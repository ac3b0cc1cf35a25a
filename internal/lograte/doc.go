// Package lograte limits repeated log records: a Limiter lets through at
// most a number of records a second, or a burst and then one record per
// interval (a token bucket), and counts the rest, so that a flood of bad
// or unanswerable packets cannot flood the log, and the next record let
// through says how many were held back.
package lograte
