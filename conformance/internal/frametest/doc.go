// Package frametest builds the frames and capture files the conformance
// tests feed to the decoder and the tracker: Ethernet frames of RAs, RSs,
// DAD probes, DHCPv6 and DNS messages (with mdlayher/ndp and miekg/dns, so
// the decoder is checked against independent encoders), and pcap and
// pcapng files of them, block by block.
//
// It is test support only: no production package imports it, and it does
// not import the decoder (conformance/wire), so wire's own tests can use it.
package frametest
