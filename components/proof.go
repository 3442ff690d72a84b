package components

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components/internal/kubebinding"
)

// A deploy succeeds only on a passing proof, whatever ran before it.
//
// The provider's wait (pulumi.com/waitFor) runs when a verification backup,
// drill or read-back is created, and a creation that failed is marked in
// the state ("#initerror"), so the next up replaces it (ReplaceOnChanges
// "*"). But a `pulumi refresh` reads the object back as it is and clears
// that mark: pulumi-kubernetes applies waitFor to no read (await.Read in
// provider/pkg/await/await.go runs only the built-in kinds' read
// awaiters), so the state then holds a Failed Backup as an ordinary one,
// the next up finds nothing changed, and without this check it would
// succeed on a failed proof. So every deploy (and every preview) reads the
// phase each proof has in the state it ends with: Completed when the
// object was created in this run (the wait saw it so), Velero's last
// verdict when it was carried over. Anything but Completed fails it,
// naming the object, Velero's reason and the command that runs a new one.
const (
	phaseCompleted = "Completed"
	// phaseDeleting is a Backup Velero's garbage collection is deleting
	// (an expired verification backup a refresh caught mid-way).
	phaseDeleting = "Deleting"
)

// proof is one object whose Completed phase the deploy rests on.
type proof struct {
	// what names it for the user: "verification backup", "restore drill".
	what, kind string
	object     *kubebinding.Object
}

// proofVerdict is the check on one proof's outputs: nil when it is
// Completed, else an error naming it (namespace/name), its phase and
// Velero's reason, and the way to a new one (a replace of urn).
func proofVerdict(what, kind, urn string, metadata, status map[string]interface{}) error {
	name, _ := metadata["name"].(string)
	namespace, _ := metadata["namespace"].(string)
	phase, _ := status["phase"].(string)
	if phase == phaseCompleted {
		return nil
	}
	ref := namespace + "/" + name
	cli := "velero " + strings.ToLower(kind) + " describe " + name + " -n " + namespace + " --details"
	replace := fmt.Sprintf("pulumi up --replace '%s'", urn)
	if phase == phaseDeleting {
		return fmt.Errorf("the %s %s is being deleted by Velero (it expired), so this stack holds no passing proof: run `pulumi refresh` to drop it and `pulumi up` for a new one, or `%s`", what, ref, replace)
	}
	shown := phase
	if shown == "" {
		shown = "without a phase"
	}
	reason := ""
	for _, key := range []string{"failureReason", "validationErrors", "errors"} {
		if v, ok := status[key]; ok && v != nil && fmt.Sprint(v) != "0" {
			reason += fmt.Sprintf(", %s: %v", key, v)
		}
	}
	return fmt.Errorf("the %s %s is %s in this stack's state, not %s%s (a failed wait whose failure a `pulumi refresh` took into the state): "+
		"no deploy succeeds on a failed proof; find the cause with `%s` (docs/troubleshooting.md), fix it, then run a new one with `%s`",
		what, ref, shown, phaseCompleted, reason, cli, replace)
}

// proofsOutput is "<what> <namespace>/<name> Completed" for each proof,
// joined by "; ", or the first proof's error: registered with the
// component's outputs, so an unproven deploy or preview fails.
func proofsOutput(proofs []proof) pulumi.StringOutput {
	var parts []interface{}
	for _, p := range proofs {
		p := p
		parts = append(parts, pulumi.All(p.object.URN(), p.object.Metadata, p.object.Status).ApplyT(func(v []interface{}) (string, error) {
			metadata, _ := v[1].(map[string]interface{})
			status, _ := v[2].(map[string]interface{})
			if err := proofVerdict(p.what, p.kind, string(v[0].(pulumi.URN)), metadata, status); err != nil {
				return "", err
			}
			return fmt.Sprintf("%s %s/%s %s", p.what, metadata["namespace"], metadata["name"], phaseCompleted), nil
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
