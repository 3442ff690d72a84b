import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as veleroirsa from "@velero-irsa/velero-irsa";

const config = new pulumi.Config();
const clusterName = config.require("clusterName");
const region = config.require("region");

const awsProvider = new aws.Provider("aws", { region: region as aws.Region });
const cluster = aws.eks.getClusterOutput({ name: clusterName }, { provider: awsProvider });
const k8sProvider = new k8s.Provider("k8s", {
    kubeconfig: pulumi.jsonStringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "eks", cluster: { server: cluster.endpoint, "certificate-authority-data": cluster.certificateAuthorities[0].data } }],
        contexts: [{ name: "eks", context: { cluster: "eks", user: "eks" } }],
        "current-context": "eks",
        users: [{ name: "eks", user: { exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", clusterName, "--region", region],
        } } }],
    }),
});

const velero = new veleroirsa.VeleroIRSA("velero", {
    clusterName,
    region,
    bucketName: config.require("bucketName"),
    oidcIssuerUrl: cluster.identities[0].oidcs[0].issuer,
    oidcProviderArn: config.require("oidcProviderArn"),
    backupPrefix: `clusters/${clusterName}`,
    schedules: { daily: { schedule: "0 3 * * *", ttl: "168h" } },
}, { providers: [awsProvider, k8sProvider] });

export const roleArn = velero.roleArn;
