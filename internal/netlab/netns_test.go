package netlab_test

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// interfaceNames returns the names of the interfaces the calling thread
// sees.
func interfaceNames() ([]string, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ifi := range ifs {
		out = append(out, ifi.Name)
	}
	return out, nil
}

// TestInNamespace runs Go code inside a host and the router: each sees
// its own interfaces, a listener opened in the router accepts a
// connection dialled from the host, and the caller's namespace is
// unchanged afterwards.
func TestInNamespace(t *testing.T) {
	netlabtest.RequireLab(t)
	t.Parallel()
	l := netlabtest.New(t)
	h := l.Host(t, "c1", "02:00:00:00:02:01")
	before, err := interfaceNames()
	if err != nil {
		t.Fatal(err)
	}

	var got []string
	if err := h.Do(func() error { got, err = interfaceNames(); return err }); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if diff := cmp.Diff([]string{"lo", netlab.HostIfName}, got); diff != "" {
		t.Errorf("interfaces in the host (-want +got):\n%s", diff)
	}

	var ln net.Listener
	if err := l.Router().Do(func() error {
		var err error
		ln, err = net.Listen("tcp6", "[::]:0")
		return err
	}); err != nil {
		t.Fatalf("listening in the router: %v", err)
	}
	defer ln.Close()
	accepted := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	// A numeric zone: see the note on InNamespace.
	idx, err := h.IfIndex(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	dst := netip.AddrPortFrom(netlab.LinkLocal(l.Router().MAC).WithZone(strconv.Itoa(idx)), uint16(port))
	c, err := h.DialContext(t.Context(), "tcp6", dst.String())
	if err != nil {
		t.Fatalf("dialling %v from the host: %v", dst, err)
	}
	if want := h.LinkLocal().String(); c.LocalAddr().(*net.TCPAddr).IP.String() != want {
		t.Errorf("connection from %v, want from %s", c.LocalAddr(), want)
	}
	c.Close()
	if err := <-accepted; err != nil {
		t.Errorf("Accept: %v", err)
	}

	after, err := interfaceNames()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("caller's interfaces changed (-before +after):\n%s", diff)
	}
}

func TestInNamespaceErrors(t *testing.T) {
	netlabtest.RequireLab(t)
	t.Parallel()
	called := false
	err := netlab.InNamespace("ralabt-no-such-namespace", func() error { called = true; return nil })
	if !errors.Is(err, netlab.ErrNamespace) || called {
		t.Errorf("InNamespace(missing) = %v, called %v; want ErrNamespace, not called", err, called)
	}

	l := netlabtest.New(t)
	errF := errors.New("from f")
	if err := l.Router().Do(func() error { return errF }); !errors.Is(err, errF) {
		t.Errorf("Do = %v, want f's error", err)
	}
	defer func() {
		if p := recover(); p != "boom" {
			t.Errorf("recovered %v, want f's panic re-raised", p)
		}
	}()
	_ = l.Router().Do(func() error { panic("boom") })
	t.Error("Do returned after f panicked")
}
