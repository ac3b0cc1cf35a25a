// Package e2e holds the end-to-end tests of "ralab serve" against real
// clients and floods. It has no code of its own outside its tests.
//
// Each test builds its own lab of Linux network namespaces with package
// netlab (a router namespace with the bridge "lab0" and one namespace per
// client), runs the real ralab binary in the router namespace, captures
// the link with tshark and drives real clients (rdisc6, rdnssd, dhcpcd,
// the kernel's own RA handling) in the client namespaces. Assertions
// about what was sent, and when, are taken from the capture: field
// values decoded by tshark, an independent decoder, and timing from the
// capture timestamps, never from the test's own clock.
//
// The tests need root, iproute2, tshark and the clients' packages; they
// skip with the reason when something is missing, and fail instead when
// the environment variable CI is "true". The checks they make are named
// with the IDs of the project's field guide (R1–R11 wire checks, F1–F17
// failure catalogue).
package e2e
