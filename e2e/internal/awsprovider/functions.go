package awsprovider

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/velero-irsa/velero-irsa/e2e/internal/awsfake"
)

// functions are the invokes the program makes, with pulumi-aws's names.
var functions = map[string]func(p *Provider, args resource.PropertyMap) (resource.PropertyMap, error){
	"aws:index/getCallerIdentity:getCallerIdentity": func(p *Provider, _ resource.PropertyMap) (resource.PropertyMap, error) {
		return resource.NewPropertyMapFromMap(map[string]interface{}{
			"accountId": p.identity.Account, "arn": p.identity.ARN, "id": p.identity.Account, "userId": "AROARIG:" + p.identity.Account,
		}), nil
	},
	"aws:index/getRegion:getRegion": func(p *Provider, args resource.PropertyMap) (resource.PropertyMap, error) {
		if len(args) > 0 {
			return nil, fmt.Errorf("the rig's aws provider answers getRegion for its own region only")
		}
		return resource.NewPropertyMapFromMap(map[string]interface{}{
			"name": p.region, "id": p.region, "endpoint": "ec2." + p.region + ".amazonaws.com", "description": p.region,
		}), nil
	},
	"aws:eks/getCluster:getCluster": func(p *Provider, args resource.PropertyMap) (resource.PropertyMap, error) {
		var c awsfake.Cluster
		if err := p.Control.Do("DescribeCluster", map[string]string{"Name": str(args, "name")}, &c); err != nil {
			return nil, err
		}
		if c.Region != p.region {
			return nil, fmt.Errorf("ResourceNotFoundException: No cluster found for name: %s (it is in %s, the provider in %s).", c.Name, c.Region, p.region)
		}
		return resource.NewPropertyMapFromMap(map[string]interface{}{
			"name": c.Name, "arn": c.ARN, "id": c.Name, "endpoint": c.Endpoint, "status": "ACTIVE", "version": "1.34",
			"certificateAuthorities": []interface{}{map[string]interface{}{"data": c.CertificateAuthority}},
			"identities":             []interface{}{map[string]interface{}{"oidcs": []interface{}{map[string]interface{}{"issuer": c.Issuer}}}},
			"tags":                   map[string]interface{}{},
		}), nil
	},
	"aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": func(p *Provider, args resource.PropertyMap) (resource.PropertyMap, error) {
		arn := str(args, "arn")
		if arn == "" {
			return nil, fmt.Errorf("the rig's aws provider looks OIDC providers up by arn only")
		}
		var o awsfake.OIDCProvider
		if err := p.Control.Do("GetOpenIDConnectProvider", map[string]string{"ARN": arn}, &o); err != nil {
			return nil, err
		}
		return resource.NewPropertyMapFromMap(map[string]interface{}{
			"arn": o.ARN, "id": o.ARN, "url": strings.TrimPrefix(o.URL, "https://"),
			"clientIdLists": toAny(o.ClientIDs), "thumbprintLists": toAny(o.Thumbprints), "tags": map[string]interface{}{},
		}), nil
	},
}

func toAny(list []string) []interface{} {
	out := make([]interface{}, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}
