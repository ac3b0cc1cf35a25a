package advertiser

import (
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// TestNamespaceSocketDrops opens the NDP socket in a router namespace,
// lets 2,000 RS from a client fill its receive queue without reading
// them, and checks that the drop counter ralab reads from /proc/net/raw6
// counts the overflow.
func TestNamespaceSocketDrops(t *testing.T) {
	requireIntegration(t)
	l := netlabtest.New(t)
	rtr, cli := l.Router(), l.Host(t, "c1", "02:00:00:00:02:01")
	var (
		conn  Conn
		st    LinkState
		inode uint64
	)
	if err := rtr.Do(func() error {
		st = probeLink(rtr.IfName)
		var err error
		if conn, err = DialNDP(st); err != nil {
			return err
		}
		inode, err = ndpSocketInode(st.LinkLocal)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	const n = 2000
	if err := cli.Do(func() error {
		ifi, err := net.InterfaceByName(cli.IfName)
		if err != nil {
			return err
		}
		ifi.Name = strconv.Itoa(ifi.Index)
		c, _, err := ndp.Listen(ifi, ndp.LinkLocal)
		if err != nil {
			return err
		}
		defer c.Close()
		for range n {
			if err := c.WriteTo(&ndp.RouterSolicitation{}, nil, netip.MustParseAddr("ff02::2")); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var drops uint64
	netlabtest.WaitFor(t, "drops at the unread socket", 10*time.Second, func() bool {
		err := rtr.Do(func() error {
			var err error
			drops, err = socketDrops(inode)
			return err
		})
		return err == nil && drops > 0
	})
	t.Logf("%d RS sent to an unread socket: %d dropped by the kernel", n, drops)
	if drops >= n {
		t.Errorf("%d drops of %d RS", drops, n)
	}
}
