package components

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/velero-irsa/velero-irsa/components/internal/kubebinding"

	"github.com/velero-irsa/velero-irsa/internal/pulumimock"
)

const benchClusters = 100

// BenchmarkComponent100 registers 100 VeleroIRSA components in one program
// under mocks (one op = one whole program run).
func BenchmarkComponent100(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		err := pulumi.RunErr(func(ctx *pulumi.Context) error {
			for n := 0; n < benchClusters; n++ {
				args := testArgs()
				args.ClusterName = pulumi.String(fmt.Sprintf("prod-%03d", n))
				if _, err := NewVeleroIRSA(ctx, fmt.Sprintf("velero-%03d", n), args); err != nil {
					return err
				}
			}
			return nil
		}, pulumi.WithMocks(testProject, testStack, &pulumimock.Recorder{}))
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDirect100 registers the same Role, RolePolicy and Release 100 times
// without the component, with the same inputs and documents: the baseline for
// BenchmarkComponent100.
func BenchmarkDirect100(b *testing.B) {
	s, err := newSettings(&VeleroIRSAArgs{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := pulumi.RunErr(func(ctx *pulumi.Context) error {
			for n := 0; n < benchClusters; n++ {
				name := fmt.Sprintf("velero-%03d", n)
				// Each cluster has its own documents, built here as a
				// program without the component would have to.
				in := defaultInputs()
				in.cluster = fmt.Sprintf("prod-%03d", n)
				r, err := resolve(s, in)
				if err != nil {
					return err
				}
				role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
					AssumeRolePolicy:   pulumi.String(r.trustPolicy),
					NamePrefix:         pulumi.String(fmt.Sprintf("prod-%03d-velero-", n)),
					Description:        pulumi.String(r.description),
					Path:               pulumi.String(s.rolePath),
					MaxSessionDuration: pulumi.Int(s.maxSession),
				})
				if err != nil {
					return err
				}
				policy, err := iam.NewRolePolicy(ctx, name+"-policy", &iam.RolePolicyArgs{
					Role: role.ID(), Name: pulumi.String(policyName), Policy: pulumi.String(r.permissionPolicy),
				})
				if err != nil {
					return err
				}
				values := role.Arn.ApplyT(func(arn string) map[string]interface{} {
					in := r.values
					in.RoleARN = arn
					return HelmValues(in)
				}).(pulumi.MapOutput)
				if _, err := kubebinding.NewRelease(ctx, name+"-release", veleroReleaseArgs(s, values),
					pulumi.DependsOn([]pulumi.Resource{policy})); err != nil {
					return err
				}
			}
			return nil
		}, pulumi.WithMocks(testProject, testStack, &pulumimock.Recorder{}))
		if err != nil {
			b.Fatal(err)
		}
	}
}
