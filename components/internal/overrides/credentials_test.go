package overrides

import "testing"

// TestOverridesRefuseCredentials has one case per chart value that can put
// AWS credentials into a Velero pod, in every shape the accepted charts take.
func TestOverridesRefuseCredentials(t *testing.T) {
	cases := []struct {
		name      string
		overrides m
		want      string
	}{
		{"server env list", m{"configuration": m{"extraEnvVars": l{env("HTTPS_PROXY"), env("AWS_ACCESS_KEY_ID")}}},
			"valuesOverrides.configuration.extraEnvVars[1] sets AWS_ACCESS_KEY_ID, which Velero's AWS SDK would use instead of the component's role: static keys take precedence over the role; drop it (region, proxy and retry variables such as AWS_REGION and HTTPS_PROXY are fine)"},
		{"server env from secret", m{"configuration": m{"extraEnvVars": l{m{"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": m{"secretKeyRef": m{"name": "aws", "key": "secret"}}}}}},
			"valuesOverrides.configuration.extraEnvVars[0] sets AWS_SECRET_ACCESS_KEY"},
		{"server env map (chart 7-9)", m{"configuration": m{"extraEnvVars": m{"AWS_REGION": "us-east-1", "AWS_SESSION_TOKEN": "x"}}},
			"valuesOverrides.configuration.extraEnvVars.AWS_SESSION_TOKEN sets AWS_SESSION_TOKEN"},
		{"server env lower case", m{"configuration": m{"extraEnvVars": l{env("aws_access_key_id")}}},
			"valuesOverrides.configuration.extraEnvVars[0] sets aws_access_key_id"},
		{"node agent env list", m{"nodeAgent": m{"extraEnvVars": l{env("AWS_SHARED_CREDENTIALS_FILE")}}},
			"valuesOverrides.nodeAgent.extraEnvVars[0] sets AWS_SHARED_CREDENTIALS_FILE, which Velero's AWS SDK would use instead of the component's role: with a credentials file the AWS plugin clears the role's web identity variables"},
		{"node agent env map (chart 7-9)", m{"nodeAgent": m{"extraEnvVars": m{"AWS_PROFILE": "backup"}}},
			"valuesOverrides.nodeAgent.extraEnvVars.AWS_PROFILE sets AWS_PROFILE"},
		{"crd job env list", m{"upgradeCRDsJob": m{"extraEnvVars": l{env("AWS_CONFIG_FILE")}}},
			"valuesOverrides.upgradeCRDsJob.extraEnvVars[0] sets AWS_CONFIG_FILE"},
		{"crd job env map (chart 7-9)", m{"upgradeCRDsJob": m{"extraEnvVars": m{"AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/other"}}},
			"valuesOverrides.upgradeCRDsJob.extraEnvVars.AWS_ROLE_ARN sets AWS_ROLE_ARN"},
		{"web identity token", m{"configuration": m{"extraEnvVars": l{env("AWS_WEB_IDENTITY_TOKEN_FILE")}}}, "sets AWS_WEB_IDENTITY_TOKEN_FILE"},
		{"container credentials full uri", m{"configuration": m{"extraEnvVars": l{env("AWS_CONTAINER_CREDENTIALS_FULL_URI")}}}, "sets AWS_CONTAINER_CREDENTIALS_FULL_URI"},
		{"container credentials relative uri", m{"configuration": m{"extraEnvVars": l{env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")}}}, "sets AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"},
		{"container authorization token", m{"configuration": m{"extraEnvVars": l{env("AWS_CONTAINER_AUTHORIZATION_TOKEN")}}}, "sets AWS_CONTAINER_AUTHORIZATION_TOKEN"},
		{"container authorization token file", m{"configuration": m{"extraEnvVars": l{env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")}}}, "sets AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"},
		{"legacy key names", m{"configuration": m{"extraEnvVars": l{env("AWS_SECRET_KEY")}}}, "sets AWS_SECRET_KEY"},
		{"default profile", m{"configuration": m{"extraEnvVars": l{env("AWS_DEFAULT_PROFILE")}}}, "sets AWS_DEFAULT_PROFILE"},
		{"metadata endpoint", m{"configuration": m{"extraEnvVars": l{env("AWS_EC2_METADATA_SERVICE_ENDPOINT")}}}, "sets AWS_EC2_METADATA_SERVICE_ENDPOINT"},
		{"sts endpoint", m{"configuration": m{"extraEnvVars": l{env("AWS_ENDPOINT_URL_STS")}}},
			"sets AWS_ENDPOINT_URL_STS, which Velero's AWS SDK would use instead of the component's role: it sends every AWS call, STS's token exchange included, to another endpoint"},
		{"home", m{"nodeAgent": m{"extraEnvVars": l{env("HOME")}}}, "sets HOME, which Velero's AWS SDK would use instead of the component's role: it moves ~/.aws/credentials"},
		{"extra secret ref", m{"credentials": m{"extraSecretRef": "aws-keys"}},
			"valuesOverrides.credentials.extraSecretRef is set: it puts every key of that Secret into the server and node agent environment (envFrom), where AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY take precedence over the role; Velero must reach AWS only through the component's role, so drop it"},
		{"credentials secret env", m{"credentials": m{"extraEnvVars": m{"AWS_SECRET_ACCESS_KEY": "x"}}},
			"valuesOverrides.credentials.extraEnvVars is set: it puts keys of the chart's credentials Secret into the server and node agent environment"},
		{"secret contents", m{"credentials": m{"secretContents": m{"cloud": "[default]\naws_access_key_id=x\n"}}},
			"valuesOverrides.credentials.secretContents is set: it only fills the credentials file of credentials.useSecret, which must stay false; it exists to carry static keys"},
		{"existing secret", m{"credentials": m{"existingSecret": "cloud-credentials"}},
			"valuesOverrides.credentials.existingSecret is set: it only names the credentials file of credentials.useSecret"},
		{"init container env", m{"initContainers": l{awsPlugin(), m{"name": "other", "image": "registry.example.com/p:v1", "env": l{env("AWS_ACCESS_KEY_ID")}}}},
			"valuesOverrides.initContainers[1].env[0] sets AWS_ACCESS_KEY_ID"},
		{"init container envFrom", m{"initContainers": l{awsPlugin(), m{"name": "other", "image": "registry.example.com/p:v1", "envFrom": l{m{"secretRef": m{"name": "aws"}}}}}},
			"valuesOverrides.initContainers[1].envFrom is set: a Secret or ConfigMap can carry AWS_ACCESS_KEY_ID"},
		{"init container mount", m{"initContainers": l{awsPlugin(), m{"name": "other", "image": "registry.example.com/p:v1", "volumeMounts": l{m{"name": "aws", "mountPath": "/opt/.aws"}}}}},
			`valuesOverrides.initContainers[1].volumeMounts[0].mountPath "/opt/.aws" is a home directory, an .aws folder or /etc`},
		{"server mount in home", m{"extraVolumeMounts": l{m{"name": "aws", "mountPath": "/home/cnb/.aws", "readOnly": true}}},
			`valuesOverrides.extraVolumeMounts[0].mountPath "/home/cnb/.aws" is a home directory, an .aws folder or /etc (whose passwd file says where home is), where the AWS SDK reads credentials files that would replace the component's role: mount it elsewhere`},
		{"node agent mount at root's home", m{"nodeAgent": m{"extraVolumeMounts": l{m{"name": "home", "mountPath": "/root"}}}},
			`valuesOverrides.nodeAgent.extraVolumeMounts[0].mountPath "/root" is a home directory`},
		{"crd job mount", m{"upgradeCRDsJob": m{"extraVolumeMounts": l{m{"name": "aws", "mountPath": "/tmp/.aws/"}}}},
			`valuesOverrides.upgradeCRDsJob.extraVolumeMounts[0].mountPath "/tmp/.aws/" is a home directory`},
		{"kubectl job mount", m{"kubectl": m{"extraVolumeMounts": l{m{"name": "home", "mountPath": "/home"}}}},
			`valuesOverrides.kubectl.extraVolumeMounts[0].mountPath "/home" is a home directory`},
		{"extra backup location", m{"extraObjects": l{m{"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation", "spec": m{"credential": m{"name": "aws", "key": "cloud"}}}}},
			"valuesOverrides.extraObjects[0] is a BackupStorageLocation: locations can carry credentials of their own (spec.credential)"},
		{"extra snapshot location", m{"extraObjects": l{m{"kind": "ConfigMap"}, m{"kind": "VolumeSnapshotLocation"}}},
			"valuesOverrides.extraObjects[1] is a VolumeSnapshotLocation"},
		{"templated kind", m{"extraObjects": l{m{"kind": "{{ .Values.kind }}"}}},
			`valuesOverrides.extraObjects[0].kind holds a template ("{{"), which Helm would render only at install: write extra objects literally, so the component can check them`},
		{"STS in the hosts file", m{"hostAliases": l{m{"ip": "10.0.0.9", "hostnames": l{"proxy.internal", "STS.us-east-1.amazonaws.com."}}}},
			`valuesOverrides.hostAliases[0].hostnames[1] is "STS.us-east-1.amazonaws.com.", an AWS endpoint: a hosts entry would send Velero's STS and S3 calls, and so its credentials, to another address; drop it (use DNS or a VPC endpoint with private DNS)`},
		{"S3 in the node agent's hosts file", m{"nodeAgent": m{"hostAliases": l{m{"ip": "10.0.0.9", "hostnames": l{"s3.cn-north-1.amazonaws.com.cn"}}}}},
			`valuesOverrides.nodeAgent.hostAliases[0].hostnames[0] is "s3.cn-north-1.amazonaws.com.cn", an AWS endpoint`},
		{"webhook told to skip the server", m{"podAnnotations": m{"eks.amazonaws.com/skip-containers": "velero"}},
			"valuesOverrides.podAnnotations.eks.amazonaws.com/skip-containers is set: the EKS Pod Identity Webhook injects neither the role's web identity token nor the pod identity credentials into the containers it names, and the AWS SDK in them falls back to the node's instance role; drop it"},
		{"webhook told to skip, metrics annotations", m{"metrics": m{"podAnnotations": m{"eks.amazonaws.com/skip-containers": "node-agent"}}},
			"valuesOverrides.metrics.podAnnotations.eks.amazonaws.com/skip-containers is set"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectRefused(t, args{ValuesOverrides: tc.overrides}, tc.want)
		})
	}
}

// TestOverridesKeepOrdinaryValues makes sure the guard does not get in the
// way of harmless variables and ordinary overrides.
func TestOverridesKeepOrdinaryValues(t *testing.T) {
	cases := []struct {
		name      string
		overrides m
	}{
		{"proxy and region env", m{"configuration": m{"extraEnvVars": l{env("HTTPS_PROXY"), env("NO_PROXY"), env("AWS_REGION"), env("AWS_STS_REGIONAL_ENDPOINTS"), env("AWS_USE_FIPS_ENDPOINT"), env("AWS_CA_BUNDLE")}}}},
		{"env map (chart 7-9)", m{"configuration": m{"extraEnvVars": m{"HTTPS_PROXY": "http://proxy:3128", "AWS_DEFAULT_REGION": "us-east-1"}}}},
		{"node agent env", m{"nodeAgent": m{"extraEnvVars": l{env("GOMEMLIMIT"), env("AWS_MAX_ATTEMPTS")}}}},
		{"ca bundle mount", m{"extraVolumeMounts": l{m{"name": "ca", "mountPath": "/etc/ssl/certs/corp-ca.pem", "subPath": "ca.pem"}}, "extraVolumes": l{m{"name": "ca", "configMap": m{"name": "corp-ca"}}}}},
		{"a directory that only starts like home", m{"extraVolumeMounts": l{m{"name": "cache", "mountPath": "/homework"}}}},
		{"extra plugin after the AWS one", m{"initContainers": l{awsPlugin(), m{"name": "velero-plugin-example", "image": "registry.example.com/p:v1", "env": l{env("HTTPS_PROXY")}, "volumeMounts": l{m{"mountPath": "/target", "name": "plugins"}}}}}},
		{"chart defaults written out", m{"credentials": m{"useSecret": false, "secretContents": m{}, "existingSecret": "", "extraEnvVars": m{}, "extraSecretRef": ""}}},
		{"other hosts entries", m{"hostAliases": l{m{"ip": "10.0.0.9", "hostnames": l{"minio.internal", "notamazonaws.com"}}}}},
		{"the webhook's tuning annotations", m{"serviceAccount": m{"server": m{"annotations": m{"eks.amazonaws.com/token-expiration": "3600", "eks.amazonaws.com/sts-regional-endpoints": "true"}, "labels": m{"team": "platform"}}}}},
		{"other pod annotations", m{"podAnnotations": m{"eks.amazonaws.com/token-expiration": "3600", "cluster-autoscaler.kubernetes.io/safe-to-evict": "true"}, "configuration": m{"extraArgs": l{"--log-level=debug"}}}},
		{"other extra objects", m{"extraObjects": l{m{"apiVersion": "v1", "kind": "ConfigMap", "metadata": m{"name": "notes"}}}}},
		{"scheduling and resources", m{"resources": m{"limits": m{"memory": "1Gi"}}, "nodeSelector": m{"kubernetes.io/os": "linux"}, "tolerations": l{m{"operator": "Exists"}}, "metrics": m{"enabled": true}, "image": m{"repository": "registry.example.com/velero/velero"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := check(args{ValuesOverrides: tc.overrides}); err != nil {
				t.Errorf("ordinary overrides refused: %v", err)
			}
		})
	}
}

func awsPlugin() m {
	return m{"name": "velero-plugin-for-aws", "image": "velero/velero-plugin-for-aws:v1.14.3", "volumeMounts": l{m{"mountPath": "/target", "name": "plugins"}}}
}

// TestOverridesKeepWiring covers overrides that do not set a refused value
// but remove one the component sets: a null (which Helm reads as "delete
// the key") or a non-map in place of a map brings back the chart's default,
// and the chart's defaults are a credentials file and an unannotated
// ServiceAccount. Rendering chart 12.1.0 with credentials: null puts
// AWS_SHARED_CREDENTIALS_FILE into the server container.
func TestOverridesKeepWiring(t *testing.T) {
	cases := []struct {
		name string
		args args
		want string
	}{
		{"credentials null", args{ValuesOverrides: m{"credentials": nil}},
			"valuesOverrides.credentials is null, which removes credentials.useSecret, a value the component sets (false keeps the chart from mounting a credentials file, which makes the AWS plugin drop the role's token): set the keys you need inside it instead of replacing it"},
		{"credentials a string", args{ValuesOverrides: m{"credentials": "none"}},
			"valuesOverrides.credentials is a string, which removes credentials.useSecret"},
		{"service accounts null", args{ValuesOverrides: m{"serviceAccount": nil}},
			"valuesOverrides.serviceAccount is null, which removes serviceAccount.server.create, a value the component sets (true makes the chart render the ServiceAccount the role trusts)"},
		{"server account null", args{ValuesOverrides: m{"serviceAccount": m{"server": nil}}},
			"valuesOverrides.serviceAccount.server is null, which removes serviceAccount.server.create"},
		{"server account null, pod identity", args{IdentityMode: "podIdentity", ValuesOverrides: m{"serviceAccount": m{"server": nil}}},
			"valuesOverrides.serviceAccount.server is null, which removes serviceAccount.server.create"},
		{"configuration null", args{ValuesOverrides: m{"configuration": nil}},
			"valuesOverrides.configuration is null, which removes configuration.backupStorageLocation, a value the component sets (the component registers the backup locations itself; the chart's list must stay empty)"},
		{"pod security context null", args{ValuesOverrides: m{"podSecurityContext": nil}},
			`valuesOverrides.podSecurityContext is null, which removes podSecurityContext.fsGroup, a value the component sets (it makes the projected token readable by Velero's non-root user, set with fsGroup): set the keys you need inside it instead of replacing it`},
		{"fsGroup null", args{ValuesOverrides: m{"podSecurityContext": m{"fsGroup": nil}}},
			"valuesOverrides.podSecurityContext.fsGroup is null, which removes podSecurityContext.fsGroup, a value the component sets (it makes the projected token readable by Velero's non-root user, set with fsGroup): drop the null"},
		{"fsGroup changed", args{ValuesOverrides: m{"podSecurityContext": m{"fsGroup": 1000}}},
			"valuesOverrides.podSecurityContext.fsGroup is 1000: set fsGroup instead, so the node agent gets the same group"},
		{"node agent security context null", args{DeployNodeAgent: true, ValuesOverrides: m{"nodeAgent": m{"podSecurityContext": nil}}},
			"valuesOverrides.nodeAgent.podSecurityContext is null, which removes nodeAgent.podSecurityContext.fsGroup"},
		{"node agent fsGroup changed", args{DeployNodeAgent: true, ValuesOverrides: m{"nodeAgent": m{"podSecurityContext": m{"fsGroup": 0}}}},
			"valuesOverrides.nodeAgent.podSecurityContext.fsGroup is 0: set fsGroup instead"},
		{"rollout annotation set", args{ValuesOverrides: m{"podAnnotations": m{"velero-irsa/identity": "pinned"}}},
			"valuesOverrides.podAnnotations.velero-irsa/identity is pinned: the component sets it to the identity mode, role ARN and audience, so that Velero's pods restart when they change; drop it"},
		{"pod annotations null", args{ValuesOverrides: m{"podAnnotations": nil}},
			"valuesOverrides.podAnnotations is null, which removes podAnnotations.velero-irsa/identity, a value the component sets (it restarts Velero's pods when the role, audience or identity mode changes, so none keeps the old identity)"},
		{"another default location flag", args{ValuesOverrides: m{"configuration": m{"extraArgs": l{"--log-level=debug", "--default-backup-storage-location=legacy"}}}},
			`valuesOverrides.configuration.extraArgs[1] is "--default-backup-storage-location=legacy": the default location is the main one, which the component registers and validates; set backupLocationName instead`},
		{"another default location", args{ValuesOverrides: m{"configuration": m{"defaultBackupStorageLocation": "legacy"}}},
			`valuesOverrides.configuration.defaultBackupStorageLocation is legacy: the default location is the main one, "default", which the component registers and validates; set backupLocationName instead`},
		{"token audience", args{ValuesOverrides: m{"serviceAccount": m{"server": m{"annotations": m{"eks.amazonaws.com/audience": "sts.amazonaws.com"}}}}},
			"valuesOverrides.serviceAccount.server.annotations sets eks.amazonaws.com/audience, the audience of the token the role is assumed with, which the component sets from tokenAudience so that it matches the trust policy and the OIDC provider: set tokenAudience instead"},
		{"token audience, pod identity", args{IdentityMode: "podIdentity", ValuesOverrides: m{"serviceAccount": m{"server": m{"annotations": m{"eks.amazonaws.com/audience": "other"}}}}},
			"valuesOverrides.serviceAccount.server.annotations sets eks.amazonaws.com/audience, which EKS Pod Identity does not use (the agent's token has an audience of its own): drop it"},
		{"role ARN, pod identity", args{IdentityMode: "podIdentity", ValuesOverrides: m{"serviceAccount": m{"server": m{"annotations": m{"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/other"}}}}},
			"valuesOverrides.serviceAccount.server.annotations sets eks.amazonaws.com/role-arn: in podIdentity mode the role comes from the pod identity association, and without one the EKS Pod Identity Webhook would give Velero's pods this role's web identity token, which the AWS SDK prefers to the agent's credentials; drop it"},
		{"ServiceAccount not created, trusted name", args{ValuesOverrides: m{"serviceAccount": m{"server": m{"create": false, "name": "velero-server"}}}},
			`valuesOverrides.serviceAccount.server.create is false: the chart would not render Velero's ServiceAccount, so nothing vouches for its annotations (one naming another role overrides the component's) and the pods could run as another identity; drop it, the component creates "velero-server"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { expectRefused(t, tc.args, tc.want) })
	}
}

// TestOverridesMayRestateWiring accepts overrides that write a wired value
// out as the component sets it, or null a map the component does not need.
func TestOverridesMayRestateWiring(t *testing.T) {
	cases := []struct {
		name string
		args args
	}{
		{"fsGroup as decoded from YAML", args{DeployNodeAgent: true, ValuesOverrides: m{"podSecurityContext": m{"fsGroup": 65534.0, "runAsNonRoot": true}, "nodeAgent": m{"podSecurityContext": m{"fsGroup": 65534}}}}},
		{"main location as default", args{BackupLocationName: "primary", ValuesOverrides: m{"configuration": m{"defaultBackupStorageLocation": "primary", "features": "EnableCSI"}}}},
		{"node agent map null without the node agent", args{ValuesOverrides: m{"nodeAgent": nil}}},
		{"node agent resources null", args{DeployNodeAgent: true, ValuesOverrides: m{"nodeAgent": m{"resources": nil}}}},
		{"annotations null under pod identity", args{IdentityMode: "podIdentity", ValuesOverrides: m{"serviceAccount": m{"server": m{"annotations": nil, "labels": m{"team": "platform"}}}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := check(tc.args); err != nil {
				t.Errorf("overrides %v refused: %v", tc.args.ValuesOverrides, err)
			}
		})
	}
}
