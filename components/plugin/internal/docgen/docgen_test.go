package docgen

import "testing"

func TestDescribe(t *testing.T) {
	args := structDoc{fields: []field{{goName: "SnapshotsEnabled", schemaName: "snapshotsEnabled"}, {goName: "Region", schemaName: "region"}}}
	s := structDoc{fields: []field{{goName: "Schedule", schemaName: "schedule"}, {goName: "StorageLocation", schemaName: "storageLocation"}}}
	d := describer{args: args, types: map[string]structDoc{"Schedule": s}}
	cases := []struct{ doc, subject, want string }{
		{"Schedule is the cron\nexpression.\n", "Schedule", "The cron expression."},
		{"StorageLocation names a location.\nRequires SnapshotsEnabled.", "StorageLocation", "Names a location. Requires snapshotsEnabled."},
		{"Region is the region. Default: the component's Region.", "Region", "The region. Default: the component's region."},
		{"Keeps the Schedule type name.\n\nSecond paragraph.", "", "Keeps the Schedule type name.\n\nSecond paragraph."},
	}
	for _, tc := range cases {
		if got := d.describe(s, tc.doc, tc.subject); got != tc.want {
			t.Errorf("describe(%q) = %q, want %q", tc.doc, got, tc.want)
		}
	}
}
