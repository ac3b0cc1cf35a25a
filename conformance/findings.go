package conformance

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// findingSet holds the distinct findings of one subject. The same check
// on the same thing (the key) is merged: its Count grows and the first
// maxEvidence packets are kept as evidence.
type findingSet struct {
	list    []Finding
	idx     map[string]int
	dropped int
	// checked holds the ids of the checks evaluated on the subject,
	// whether or not they found anything.
	checked map[string]bool
}

// check records that the checks ids were evaluated on the subject.
func (s *findingSet) check(ids ...string) {
	if s.checked == nil {
		s.checked = make(map[string]bool)
	}
	for _, id := range ids {
		if !s.checked[id] { // A read is cheaper than a write, and most are repeats.
			s.checked[id] = true
		}
	}
}

// checkedIDs returns the evaluated check ids in field-guide order, never
// nil.
func (s *findingSet) checkedIDs() []string {
	out := make([]string, 0, len(s.checked))
	for id := range s.checked {
		out = append(out, id)
	}
	slices.SortFunc(out, CompareIDs)
	return out
}

// add records f under key with evidence e.
func (s *findingSet) add(f Finding, key string, e ...Evidence) {
	s.check(f.ID)
	if i, ok := s.idx[key]; ok {
		g := &s.list[i]
		g.Count++
		for _, x := range e {
			if len(g.Evidence) < maxEvidence {
				g.Evidence = append(g.Evidence, x)
			}
		}
		return
	}
	if len(s.list) >= maxFindings {
		s.dropped++
		return
	}
	if s.idx == nil {
		s.idx = make(map[string]int)
	}
	f.Count = 1
	if len(e) > maxEvidence {
		e = e[:maxEvidence]
	}
	f.Evidence = append([]Evidence{}, e...)
	s.idx[key] = len(s.list)
	s.list = append(s.list, f)
}

// clone returns a deep copy of s, so end-of-observation checks can add to
// it without changing the running state.
func (s *findingSet) clone() findingSet {
	out := findingSet{list: s.findings(), idx: make(map[string]int, len(s.idx)), dropped: s.dropped,
		checked: maps.Clone(s.checked)}
	for k, v := range s.idx {
		out.idx[k] = v
	}
	return out
}

// findings returns a copy of the findings, never nil.
func (s *findingSet) findings() []Finding {
	out := make([]Finding, 0, len(s.list))
	for _, f := range s.list {
		f.Evidence = append([]Evidence{}, f.Evidence...)
		out = append(out, f)
	}
	return out
}

// seconds formats d in seconds, with up to one decimal for short spans.
func seconds(d time.Duration) string {
	if d < 10*time.Second && d%time.Second != 0 {
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	}
	return strconv.FormatInt(int64(d.Round(time.Second)/time.Second), 10) + " s"
}

// lifetime formats a lifetime in seconds, naming infinity.
func lifetime(s uint32) string {
	if s == infiniteLifetime {
		return "infinite"
	}
	return strconv.FormatUint(uint64(s), 10) + " s"
}

// stamp formats a time for messages.
func stamp(t time.Time) string { return t.UTC().Format("15:04:05.000") }

// pkt formats a packet reference for messages.
func pkt(n int) string { return "#" + strconv.Itoa(n) }

// CompareIDs orders check ids like "C2" < "C10" < "F1".
func CompareIDs(a, b string) int {
	pa, na := splitID(a)
	pb, nb := splitID(b)
	if c := cmp.Compare(pa, pb); c != 0 {
		return c
	}
	if c := cmp.Compare(na, nb); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

// splitID splits "C10" into "C" and 10.
func splitID(id string) (string, int) {
	i := strings.IndexFunc(id, func(r rune) bool { return r >= '0' && r <= '9' })
	if i < 0 {
		return id, 0
	}
	n, err := strconv.Atoi(id[i:])
	if err != nil {
		return id, 0
	}
	return id[:i], n
}
