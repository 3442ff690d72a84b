package scenario

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// iamDelay is the iam-delay scenario: the seed's stack on a rig whose STS
// and S3 see each new role, trust and inline policy only --iam-delay
// (15 s) after it was made, as IAM's propagation does on AWS. The first up
// must succeed: Velero's first validations are refused (the scenario
// checks that STS did refuse the new role), the location turns Available
// at a later one, and only then is the verification backup created.
func iamDelay(ctx context.Context, e *Env) error {
	r, err := startRigPropagating(ctx, e, "iam-delay", "123456789012", "ap-northeast-2", "seed-apne2")
	if err != nil {
		return err
	}
	defer e.done(ctx, r)
	if err := r.AssociateOIDCProvider(); err != nil {
		return err
	}
	d, err := NewDeployment(e, r, "seed-apne2", seedStack)
	if err != nil {
		return err
	}
	d.refusalsExpected = true
	out, err := d.Run(ctx, "up", upTimeout)
	if err != nil {
		return fmt.Errorf("the first up with IAM's propagation delay (%s) failed: %v", e.IAMDelay, err)
	}
	if err := d.checkSeed(out, "velero", "velero-server", "velero-irsa-rig-seed-apne2", "clusters/seed-apne2", true); err != nil {
		return err
	}
	role := outputs(out)["roleArn"]
	refused, allowed := 0, 0
	for _, c := range r.Cloud.Calls() {
		switch {
		case c.RoleARN != role:
		case c.Allowed:
			allowed++
		case allowed == 0:
			refused++
		}
	}
	if refused == 0 || allowed == 0 {
		return fmt.Errorf("STS refused the new role %d times before allowing it %d times: the delay was not in the way", refused, allowed)
	}
	location, lok := stepOf(out, "kubernetes:velero.io/v1:BackupStorageLocation", "velero-location-default")
	backup, bok := stepOf(out, "kubernetes:velero.io/v1:Backup", "velero-verify")
	if !lok || !bok {
		return fmt.Errorf("the up's step lines name no location or no verification backup")
	}
	// Each figure is printed to a tenth of a second, and the engine's
	// events about one step's end and the next one's start come from
	// different goroutines: a tenth or two either way is the same moment.
	if backup.from < location.from+location.took-0.25 {
		return fmt.Errorf("the verification backup started at %.1f s, before the location was Available at %.1f s", backup.from, location.from+location.took)
	}
	fmt.Fprintf(e.Out, "    STS refused the new role %d times, then allowed it; location Available after %.1f s of waiting, verification backup started at %.1f s (after it)\n",
		refused, location.took, backup.from)
	return nil
}

// step is one resource step as the rig's program runner prints it:
// "step <from> <took> <op> <type> <name>", seconds from the update's start.
type step struct{ from, took float64 }

// stepOf finds the create step of resource name of type typ.
func stepOf(out, typ, name string) (step, bool) {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 6 && f[0] == "step" && f[3] == "create" && f[4] == typ && f[5] == name {
			from, err1 := strconv.ParseFloat(f[1], 64)
			took, err2 := strconv.ParseFloat(f[2], 64)
			if err1 == nil && err2 == nil {
				return step{from, took}, true
			}
		}
	}
	return step{}, false
}
