package components

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
)

// BackupLocation is an additional Velero BackupStorageLocation covered by the
// same role: another bucket or region, or another cluster's bucket to
// restore from (the migration case).
type BackupLocation struct {
	// Bucket is the location's S3 bucket, a bare name. Required.
	Bucket string `pulumi:"bucket"`
	// Region is the bucket's region. Default: the component's Region. It
	// must be in the same partition.
	Region string `pulumi:"region,optional"`
	// Prefix is the folder inside the bucket. Default: the bucket root.
	Prefix string `pulumi:"prefix,optional"`
	// AccessMode is ReadOnly (default) or ReadWrite. ReadOnly is the safe
	// default for a bucket shared with another cluster: this Velero restores
	// from it but never writes backups there or deletes expired ones; the
	// role may only write restore records under <prefix>/restores/.
	AccessMode string `pulumi:"accessMode,optional"`
	// KmsKeyArn is the SSE-KMS key of the location's objects, if any; it
	// must be in the location's region.
	KmsKeyArn string `pulumi:"kmsKeyArn,optional"`
}

// checkLocations validates the additional locations' plain fields; regions
// and keys are checked in resolve, once the partition is known.
func (s *settings) checkLocations() error {
	for _, name := range slices.Sorted(maps.Keys(s.locations)) {
		loc := s.locations[name]
		field := "additionalBackupLocations." + name
		switch {
		case name == s.locationName:
			return fmt.Errorf("additionalBackupLocations key %q is the name of the main location (backupLocationName): choose another", name)
		case loc.AccessMode != "ReadOnly" && loc.AccessMode != "ReadWrite" && loc.AccessMode != "":
			return fmt.Errorf("%s.accessMode %q is not a backup location access mode: use ReadOnly or ReadWrite", field, loc.AccessMode)
		}
		if err := validateSubdomain("additionalBackupLocations key", name); err != nil {
			return err
		}
		if err := validateBucketName(field+".bucket", loc.Bucket); err != nil {
			return err
		}
		if err := validatePrefix(field+".prefix", loc.Prefix); err != nil {
			return err
		}
		if loc.Region != "" {
			if err := validateRegion(field+".region", loc.Region); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolveLocations fills in regions and checks partitions and keys.
func (s *settings) resolveLocations(partition, region string) ([]resolvedLocation, error) {
	var out []resolvedLocation
	for _, name := range slices.Sorted(maps.Keys(s.locations)) {
		loc := s.locations[name]
		field := "additionalBackupLocations." + name
		r := resolvedLocation{name: name, BackupLocation: loc}
		r.Region = cmp.Or(loc.Region, region)
		r.AccessMode = cmp.Or(loc.AccessMode, "ReadOnly")
		if p := regionPartition(r.Region); p != partition {
			return nil, fmt.Errorf("%s.region %q is in partition %q, the cluster in %q: one role cannot reach both", field, r.Region, p, partition)
		}
		if loc.KmsKeyArn != "" {
			if err := validateKMSKeyARN(field+".kmsKeyArn", loc.KmsKeyArn, partition, r.Region); err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	return out, nil
}

type resolvedLocation struct {
	name string
	BackupLocation
}

func (l resolvedLocation) policy() LocationPolicy {
	return LocationPolicy{Name: l.name, Bucket: l.Bucket, Prefix: l.Prefix, ReadOnly: l.AccessMode == "ReadOnly", KMSKeyARN: l.KmsKeyArn}
}

// location is the BackupStorageLocation the component registers; never the
// default.
func (l resolvedLocation) location() storageLocation {
	return storageLocation{Name: l.name, Bucket: l.Bucket, Prefix: l.Prefix, Region: l.Region, KMSKeyARN: l.KmsKeyArn, AccessMode: l.AccessMode}
}
