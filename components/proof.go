package components

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components/internal/kubebinding"
)

// A deploy succeeds only on a passing proof, whatever ran before it.
//
// The provider's wait (pulumi.com/waitFor) runs when a location,
// verification backup, drill or read-back is created, and a creation that
// failed is marked in the state ("#initerror"), so the next up replaces it
// (ReplaceOnChanges). But a `pulumi refresh` reads the object back as it
// is and clears that mark: pulumi-kubernetes applies waitFor to no read
// (await.Read in provider/pkg/await/await.go runs only the built-in kinds'
// read awaiters), so the state then holds an Unavailable location or a
// Failed Backup as an ordinary one, the next up finds nothing changed, and
// without this check it would succeed on a failed proof. So every deploy
// (and every preview) reads the status each proof has in the state it
// ends with: what the wait saw when the object was created in this run,
// Velero's last verdict when it was carried over. Anything but what the
// wait requires fails it, naming the object, Velero's reason and the
// command that runs a new one.
const (
	phaseCompleted = "Completed"
	phaseAvailable = "Available"
	// phaseDeleting is a Backup Velero's garbage collection is deleting
	// (an expired verification backup a refresh caught mid-way).
	phaseDeleting = "Deleting"
)

// proof is one object whose status the deploy rests on.
type proof struct {
	// what names it for the user: "verification backup", "restore drill".
	what, kind string
	// phase is the status.phase its wait requires; items, when above
	// zero, the status.progress.itemsRestored (the drill's canary only).
	phase  string
	items  int
	object *kubebinding.Object
}

// verdict is the check on one proof's outputs: nil when its status is
// what its wait requires, else an error naming it (namespace/name), its
// phase and Velero's reason, and the way to a new one (a replace of urn).
func (p proof) verdict(urn string, metadata, status map[string]interface{}) error {
	name, _ := metadata["name"].(string)
	namespace, _ := metadata["namespace"].(string)
	phase, _ := status["phase"].(string)
	ref := namespace + "/" + name
	replace := fmt.Sprintf("pulumi up --replace '%s'", urn)
	describe := "velero " + strings.ToLower(p.kind) + " describe " + name + " -n " + namespace + " --details"
	if p.kind == backupStorageLocationKind {
		describe = "velero backup-location get " + name + " -n " + namespace
	}
	if phase == p.phase {
		if p.items == 0 {
			return nil
		}
		restored := -1
		if progress, ok := status["progress"].(map[string]interface{}); ok {
			if n, ok := progress["itemsRestored"].(float64); ok {
				restored = int(n)
			}
		}
		if restored == p.items {
			return nil
		}
		return fmt.Errorf("the %s %s is %s in this stack's state but restored %d items, not exactly %d (the canary): no deploy succeeds on a failed proof; "+
			"find out why with `%s` (docs/troubleshooting.md), fix it, then run a new one with `%s`", p.what, ref, phase, restored, p.items, describe, replace)
	}
	if phase == phaseDeleting {
		return fmt.Errorf("the %s %s is being deleted by Velero (it expired), so this stack holds no passing proof: run `pulumi refresh` to drop it and `pulumi up` for a new one, or `%s`", p.what, ref, replace)
	}
	if phase == "" {
		return fmt.Errorf("the %s %s has no phase in this stack's state: the kubernetes provider did not wait for Velero's verdict (pulumi-kubernetes 4.18 and later wait on pulumi.com/waitFor; an older explicit provider, or the pulumi.com/skipAwait annotation, does not), "+
			"so nothing proves it; use pulumi-kubernetes 4.18 or later, then run `%s`", p.what, ref, replace)
	}
	reason := ""
	for _, key := range []string{"message", "failureReason", "validationErrors", "errors"} {
		if v, ok := status[key]; ok && v != nil && fmt.Sprint(v) != "0" && fmt.Sprint(v) != "" {
			reason += fmt.Sprintf(", %s: %v", key, v)
		}
	}
	return fmt.Errorf("the %s %s is %s in this stack's state, not %s%s (a failed wait whose failure a `pulumi refresh` took into the state): "+
		"no deploy succeeds on a failed proof; find the cause with `%s` (docs/troubleshooting.md), fix it, then run a new one with `%s`",
		p.what, ref, phase, p.phase, reason, describe, replace)
}

// proofsOutput is "<what> <namespace>/<name> <phase>" for each proof,
// joined by "; ", or the first proof's error: registered with the
// component's outputs, so an unproven deploy or preview fails.
func proofsOutput(proofs []proof) pulumi.StringOutput {
	var parts []interface{}
	for _, p := range proofs {
		p := p
		parts = append(parts, pulumi.All(p.object.URN(), p.object.Metadata, p.object.Status).ApplyT(func(v []interface{}) (string, error) {
			metadata, _ := v[1].(map[string]interface{})
			status, _ := v[2].(map[string]interface{})
			if err := p.verdict(string(v[0].(pulumi.URN)), metadata, status); err != nil {
				return "", err
			}
			return fmt.Sprintf("%s %s/%s %s", p.what, metadata["namespace"], metadata["name"], p.phase), nil
		}))
	}
	return pulumi.All(parts...).ApplyT(func(v []interface{}) string {
		done := make([]string, len(v))
		for i, s := range v {
			done[i] = s.(string)
		}
		return strings.Join(done, "; ")
	}).(pulumi.StringOutput)
}
