package render

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/conformance"
)

func TestCheckMatrices(t *testing.T) {
	r := sampleReport()
	states := func(m checkMatrix, subject string) map[string]string {
		out := map[string]string{}
		for _, row := range m.Rows {
			if row.Subject != subject {
				continue
			}
			for i, c := range row.Cells {
				out[m.Columns[i]] = c.State
			}
		}
		return out
	}
	cm, rm := clientMatrix(r), routerMatrix(r)
	tests := []struct {
		name string
		got  map[string]string
		id   string
		want string
	}{
		{name: "warning finding", got: states(cm, "02:00:00:00:02:01"), id: "C6", want: cellWarning},
		{name: "applies without finding", got: states(cm, "02:00:00:00:02:01"), id: "C7", want: cellOK},
		{name: "no expiry inside capture", got: states(cm, "02:00:00:00:02:01"), id: "C9", want: cellNA},
		{name: "error finding", got: states(cm, "3c:22:fb:00:00:01"), id: "C8", want: cellError},
		{name: "info finding", got: states(cm, "3c:22:fb:00:00:01"), id: "C9", want: cellInfo},
		{name: "F-id column", got: states(cm, "3c:22:fb:00:00:01"), id: "F1", want: cellError},
		{name: "F-id absent elsewhere", got: states(cm, "02:aa:bb:cc:dd:ee"), id: "F1", want: cellNA},
		{name: "unanswered requests", got: states(cm, "02:aa:bb:cc:dd:ee"), id: "N1", want: cellError},
		{name: "no RS sent", got: states(cm, "02:aa:bb:cc:dd:ee"), id: "C1", want: cellNA},
		{name: "NAT64 needs queries", got: states(cm, "00:11:22:33:44:55"), id: "C11", want: cellNA},
		{name: "router warning", got: states(rm, "02:00:00:00:01:01"), id: "R5", want: cellWarning},
		{name: "link finding counts for its router", got: states(rm, "00:00:5e:00:01:02"), id: "R9", want: cellWarning},
		{name: "R9 with two routers", got: states(rm, "02:00:00:00:01:01"), id: "R9", want: cellOK},
		{name: "no gaps from one RA", got: states(rm, "00:00:5e:00:01:02"), id: "R2", want: cellNA},
		{name: "R11 not evaluated", got: states(rm, "02:00:00:00:01:01"), id: "R11", want: cellNA},
		{name: "R11 evaluated", got: states(rm, "00:00:5e:00:01:02"), id: "R11", want: cellOK},
		{name: "client without checked list", got: states(cm, "00:11:22:33:44:55"), id: "C2", want: cellNA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got[tt.id]); diff != "" {
				t.Fatalf("%s (-want +got):\n%s", tt.id, diff)
			}
		})
	}
	if diff := cmp.Diff(append(clientCheckIDs, "F1"), cm.Columns); diff != "" {
		t.Errorf("client columns (-want +got):\n%s", diff)
	}
}

func TestCompareIDs(t *testing.T) {
	ids := []string{"F1", "C10", "N1", "C2", "X", "C1", "F17", "F2"}
	got := extraIDs(nil, []conformance.Finding{{ID: ids[0]}, {ID: ids[1]}, {ID: ids[2]}, {ID: ids[3]}, {ID: ids[4]}, {ID: ids[5]}, {ID: ids[6]}, {ID: ids[7]}, {ID: "C2"}})
	want := []string{"C1", "C2", "C10", "F1", "F2", "F17", "N1", "X"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("order (-want +got):\n%s", diff)
	}
}
