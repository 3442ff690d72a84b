package awsfake

import "net/http"

// SetRegionOutage takes a region's endpoints out (down true) or brings
// them back: while it is out, STS at that region's endpoint, S3 for every
// bucket in it, KMS for every key in it and replication from or to it
// refuse with 503, as a regional outage leaves them. The control API (the
// deploy's own calls) does not model an outage.
func (c *Cloud) SetRegionOutage(region string, down bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.outages == nil {
		c.outages = map[string]bool{}
	}
	c.outages[region] = down
}

// RegionDown is true while region is out.
func (c *Cloud) RegionDown(region string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.outages[region]
}

// RegionalEndpoint serves h as region's endpoint: every request fails
// with 503 while the region is out.
func (c *Cloud) RegionalEndpoint(region string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.RegionDown(region) {
			http.Error(w, "ServiceUnavailable: the rig's region "+region+" is out", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
}
