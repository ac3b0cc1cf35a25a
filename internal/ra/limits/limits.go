package limits

import (
	"math"
	"time"
)

// Header fields (RFC 4861 §4.2).
const (
	// MaxRouterLifetime is the 16-bit Router Lifetime field's maximum
	// (RFC 4861 §4.2, RFC 8319 §4).
	MaxRouterLifetime = 65535 * time.Second
	// MaxReachableTime is AdvReachableTime's maximum, MAX_REACHABLE_TIME
	// (RFC 4861 §6.2.1, §10).
	MaxReachableTime = 3600000 * time.Millisecond
	// MaxRetransmitTimer is the 32-bit millisecond Retrans Timer field's
	// maximum (RFC 4861 §4.2).
	MaxRetransmitTimer = math.MaxUint32 * time.Millisecond
)

// Options.
const (
	// Infinite is the all-ones 32-bit lifetime in seconds, which RFC 4861
	// §4.6.2, RFC 4191 §2.3 and RFC 8106 §5 define as infinity.
	Infinite = time.Duration(math.MaxUint32) * time.Second
	// MaxOptionLen is the longest option ndp v1.1.0 marshals: RawOption
	// computes Length*8 in a uint8, so 32 or more units (256 bytes) fail
	// to marshal or parse. RFC 4861 §4.6 itself allows 255 units.
	MaxOptionLen = 31 * 8
	// MinMTU is the IPv6 minimum link MTU (RFC 8200 §5); hosts ignore a
	// smaller MTU option (RFC 4861 §6.3.4).
	MinMTU = 1280
	// MaxRDNSSServers is the most servers one RDNSS option carries within
	// MaxOptionLen: (31 - 1) / 2 (RFC 8106 §5.1 Length = 1 + 2n).
	MaxRDNSSServers = (MaxOptionLen/8 - 1) / 2
	// MaxDNSSLNameBytes is the most bytes of encoded names one DNSSL option
	// carries within MaxOptionLen, after its 8-byte header (RFC 8106 §5.2).
	MaxDNSSLNameBytes = MaxOptionLen - 8
	// MaxCaptivePortalURI is the longest URI one Captive-Portal option
	// carries within MaxOptionLen, after type and length (RFC 8910 §2.3).
	MaxCaptivePortalURI = MaxOptionLen - 2
	// PREF64Unit is the PREF64 scaled lifetime unit (RFC 8781 §4).
	PREF64Unit = 8 * time.Second
	// MaxPREF64Lifetime is the largest PREF64 lifetime: the 13-bit scaled
	// lifetime's 8191 units of 8 s (RFC 8781 §4).
	MaxPREF64Lifetime = 8191 * PREF64Unit
)

// pref64Lengths maps a PREF64 Prefix Length Code to the prefix length
// (RFC 8781 §4).
var pref64Lengths = [...]int{96, 64, 56, 48, 40, 32}

// PREF64Length returns the prefix length of a PREF64 Prefix Length Code,
// and false for a code RFC 8781 §4 does not define.
func PREF64Length(code int) (int, bool) {
	if code < 0 || code >= len(pref64Lengths) {
		return 0, false
	}
	return pref64Lengths[code], true
}

// PREF64Code returns the PREF64 Prefix Length Code of a prefix length,
// and false for a length the option cannot carry (RFC 8781 §4: 96, 64,
// 56, 48, 40 or 32).
func PREF64Code(bits int) (int, bool) {
	for i, b := range pref64Lengths {
		if b == bits {
			return i, true
		}
	}
	return 0, false
}

// Seconds32 returns d in whole seconds as a 32-bit field value, saturating
// at all ones, the infinity of RFC 4861 §4.6.2 and RFC 8415 §7.7.
func Seconds32(d time.Duration) uint32 {
	s := d / time.Second
	if s >= math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(s)
}
