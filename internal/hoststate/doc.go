// Package hoststate records what ralab changes on the host, so that a
// later start can undo what a crashed run left behind.
//
// ralab changes the host on every served interface: it turns the
// kernel's own RA processing off (accept_ra, autoconf) and, for the lab
// DNS responder, adds /128 addresses and on-link routes. It undoes them
// on every clean exit. After kill -9, an out-of-memory kill or a power
// cut it cannot, so a Journal writes each change to a small JSON file per
// interface in the state directory before making it, and removes the
// file once everything is undone. At the next start, Recover undoes the
// files of runs that are gone (their process no longer runs, or the host
// rebooted since) and logs what it restored.
package hoststate
