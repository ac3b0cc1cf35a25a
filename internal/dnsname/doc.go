// Package dnsname encodes, decodes and checks DNS names in the
// uncompressed wire form of RFC 1035 §3.1, which the DNS Search List of
// Router Advertisements (RFC 8106 §5.2) and the DHCPv6 Domain Search List
// (RFC 3646 §4, RFC 8415 §10) carry: each label as a length byte and its
// bytes, the name ended by a zero-length label, no compression.
//
// Append and Check take names in text form, with or without one trailing
// dot; Decode returns names without it. CheckHost applies the stricter
// host name syntax of RFC 1123 §2.1 that configuration files are held to.
package dnsname
