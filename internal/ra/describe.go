package ra

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ralab/ralab/internal/ra/limits"
)

// Describe writes a human decoding of the Router Advertisement b (from its
// ICMPv6 type byte), one line per header field and per option, in the
// spirit of radvdump and rdisc6. Lifetimes are shown in seconds and as a
// duration, "infinite" for all ones; malformed options are shown with
// what is wrong. It returns an error when b is not an RA at all or w fails.
func Describe(w io.Writer, b []byte) error {
	m, err := Decode(b)
	if err != nil {
		return err
	}
	var sb strings.Builder
	line := func(name, format string, a ...any) {
		fmt.Fprintf(&sb, "  %-26s %s\n", name, fmt.Sprintf(format, a...))
	}
	fmt.Fprintf(&sb, "Router Advertisement, %d bytes\n", len(b))
	if m.Code != 0 {
		line("ICMPv6 code", "%d (RFC 4861 §6.1.2 requires 0)", m.Code)
	}
	line("hop limit", "%s", unspecified(uint64(m.HopLimit), fmt.Sprint(m.HopLimit)))
	line("managed (M)", "%s", yesNo(m.Managed))
	line("other config (O)", "%s", yesNo(m.OtherConfig))
	if m.Flags&0x27 != 0 {
		line("other flags", "%#02x (H, P or reserved bits)", m.Flags&0x27)
	}
	prf := m.Preference.String()
	if m.PreferenceReserved {
		prf = "reserved (10), treated as medium"
	}
	line("router preference", "%s", prf)
	rl := lifetime(m.RouterLifetime)
	if m.RouterLifetime == 0 {
		rl = "0 (not a default router)"
	}
	line("router lifetime", "%s", rl)
	line("reachable time", "%s",
		unspecified(uint64(m.ReachableTime), fmt.Sprintf("%d ms", m.ReachableTime.Milliseconds())))
	line("retransmit timer", "%s",
		unspecified(uint64(m.RetransmitTimer), fmt.Sprintf("%d ms", m.RetransmitTimer.Milliseconds())))
	for _, o := range m.Options {
		line(optionName(o.Type), "%s", describeOption(&o))
	}
	if m.Err != nil {
		line("MALFORMED", "%v", m.Err)
	}
	_, err = io.WriteString(w, sb.String())
	return err
}

// describeOption returns the one-line description of an option's value.
func describeOption(o *Option) string {
	s, ok := "", false
	if k := kindOf(o.Type); k != nil {
		s, ok = k.describe(o)
	}
	if !ok {
		s = fmt.Sprintf("length %d (%d bytes)", o.Length, len(o.Bytes))
	}
	if o.Err != nil {
		s += " MALFORMED: " + o.Err.Error()
	}
	return s
}

// lifetime formats a lifetime: "infinite", "0 (withdrawn)" or seconds with
// a duration.
func lifetime(d time.Duration) string {
	switch {
	case d == limits.Infinite:
		return "infinite"
	case d == 0:
		return "0 (withdrawn)"
	case d < time.Minute:
		return fmt.Sprintf("%ds", d/time.Second)
	default:
		return fmt.Sprintf("%ds (%v)", d/time.Second, d)
	}
}

// unspecified returns "unspecified" when v is 0 (RFC 4861 §4.2), else s.
func unspecified(v uint64, s string) string {
	if v == 0 {
		return "unspecified"
	}
	return s
}

// yesNo formats a flag.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// Hex returns a hex dump of the Router Advertisement b with one row per 16
// bytes, each row starting at its offset; the first row of the header and
// of each option is labelled with what it holds.
func Hex(b []byte) string {
	var sb strings.Builder
	row := func(off int, p []byte, label string) {
		s := fmt.Sprintf("%04x  % -47x  %s", off, p, label)
		sb.WriteString(strings.TrimRight(s, " ") + "\n")
	}
	chunk := func(off int, p []byte, label string) {
		for i := 0; i < len(p); i += 16 {
			row(off+i, p[i:min(i+16, len(p))], label)
			label = ""
		}
	}
	m, err := Decode(b)
	if err != nil {
		chunk(0, b, "not a Router Advertisement")
		return sb.String()
	}
	chunk(0, b[:headerLen], "RA header")
	off := headerLen
	for _, o := range m.Options {
		chunk(off, o.Bytes, fmt.Sprintf("option %d %s", o.Type, optionName(o.Type)))
		off += len(o.Bytes)
	}
	if off < len(b) {
		chunk(off, b[off:], "undecodable")
	}
	return sb.String()
}
