package dnsname

import "fmt"

// HostProblem says which rule of host name syntax a name breaks.
type HostProblem int

// The problems CheckHost reports.
const (
	// HostEmpty is an empty name or the root.
	HostEmpty HostProblem = iota + 1
	// HostTooLong is a name of more than MaxTextLen characters.
	HostTooLong
	// HostLabelLen is a label of 0 or more than MaxLabelLen characters.
	HostLabelLen
	// HostHyphen is a label that starts or ends with a hyphen.
	HostHyphen
	// HostCharacter is a label with a character other than a letter, a
	// digit or a hyphen.
	HostCharacter
)

// HostError is the error of CheckHost.
type HostError struct {
	// Problem is the rule broken.
	Problem HostProblem
	// Name is the name checked.
	Name string
	// Label is the label at fault, for HostHyphen and HostCharacter.
	Label string
}

// Error describes the problem.
func (e *HostError) Error() string {
	switch e.Problem {
	case HostEmpty:
		return "empty name"
	case HostTooLong:
		return fmt.Sprintf("name of %d characters, more than %d (RFC 1035 §2.3.4)", len(e.Name), MaxTextLen)
	case HostLabelLen:
		return fmt.Sprintf("label of 0 or more than %d characters (RFC 1035 §2.3.4)", MaxLabelLen)
	case HostHyphen:
		return fmt.Sprintf("label %q starts or ends with a hyphen (RFC 1123 §2.1)", e.Label)
	default:
		return fmt.Sprintf("label %q holds a character other than a letter, digit or hyphen (RFC 1123 §2.1)", e.Label)
	}
}

// CheckHost checks name, without a trailing dot, as a host name: labels
// of letters, digits and hyphens that neither start nor end with a hyphen
// (RFC 1123 §2.1), of 1 to MaxLabelLen characters, and at most MaxTextLen
// characters in all (RFC 1035 §2.3.4). Internationalised names must be
// written as A-labels. The error is a *HostError.
func CheckHost(name string) error {
	if name == "" {
		return &HostError{Problem: HostEmpty, Name: name}
	}
	if len(name) > MaxTextLen {
		return &HostError{Problem: HostTooLong, Name: name}
	}
	for i := 0; i <= len(name); {
		j := i
		for j < len(name) && name[j] != '.' {
			j++
		}
		if err := checkHostLabel(name, name[i:j]); err != nil {
			return err
		}
		i = j + 1
	}
	return nil
}

// checkHostLabel checks one label of name.
func checkHostLabel(name, label string) error {
	if label == "" || len(label) > MaxLabelLen {
		return &HostError{Problem: HostLabelLen, Name: name, Label: label}
	}
	if label[0] == '-' || label[len(label)-1] == '-' {
		return &HostError{Problem: HostHyphen, Name: name, Label: label}
	}
	for _, c := range label {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return &HostError{Problem: HostCharacter, Name: name, Label: label}
		}
	}
	return nil
}
