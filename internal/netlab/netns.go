package netlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"

	"github.com/vishvananda/netns"
)

// ErrNamespace is wrapped by errors about entering a network namespace.
var ErrNamespace = errors.New("netlab: cannot enter namespace")

// InNamespace runs f on an OS thread switched into the network namespace
// ns (a name in /run/netns) and returns f's error. Sockets and netlink
// handles f opens stay in ns whatever thread uses them later, so this is
// how Go code under test listens or dials inside a lab. f runs on a
// goroutine of its own, locked to its thread; the thread is switched back
// afterwards, and if that fails it stays locked, so the runtime ends it
// rather than reuse it in the wrong namespace. Goroutines f starts do not
// inherit the namespace. f may run as long as it likes (a server's Run);
// a panic in f is re-raised in the caller's goroutine.
//
// Package net resolves interface names in address zones ("fe80::1%eth0")
// through a process-wide cache that does not know namespaces: inside f,
// give zones as interface indexes (Host.IfIndex) instead.
func InNamespace(ns string, f func() error) error {
	type result struct {
		err   error
		panic any
	}
	ch := make(chan result, 1)
	go func() {
		var r result
		defer func() { ch <- r }()
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			r.err = fmt.Errorf("%w: current namespace: %w", ErrNamespace, err)
			return
		}
		defer orig.Close()
		target, err := netns.GetFromName(ns)
		if err != nil {
			runtime.UnlockOSThread()
			r.err = fmt.Errorf("%w %s: %w", ErrNamespace, ns, err)
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			runtime.UnlockOSThread()
			r.err = fmt.Errorf("%w %s: %w", ErrNamespace, ns, err)
			return
		}
		defer func() {
			r.panic = recover()
			if err := netns.Set(orig); err != nil {
				r.err = errors.Join(r.err, fmt.Errorf("netlab: leaving namespace %s: %w", ns, err))
				return // still locked: the thread ends with the goroutine
			}
			runtime.UnlockOSThread()
		}()
		r.err = f()
	}()
	r := <-ch
	if r.panic != nil {
		panic(r.panic)
	}
	return r.err
}

// Do runs f inside the host's network namespace; see InNamespace.
func (h *Host) Do(f func() error) error { return InNamespace(h.Namespace, f) }

// DialContext opens a connection from inside the host's network
// namespace; its signature fits net/http.Transport.DialContext.
func (h *Host) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	var c net.Conn
	err := h.Do(func() error {
		var err error
		c, err = (&net.Dialer{}).DialContext(ctx, network, address)
		return err
	})
	return c, err
}
