package fakeec2

import "fmt"

// Address is one entry of the address pool: the private IPv4 address an
// instance gets and the public one it shows while running (when the launch
// asks for a public address). An end-to-end test gives the addresses of
// its network-namespace hosts here; both may be the same address.
type Address struct {
	Private string
	Public  string
}

// DefaultAddresses returns n addresses (at most 508): private ones from
// the default subnet 172.31.0.0/20 and public ones from the documentation
// ranges 198.51.100.0/24 and 203.0.113.0/24, which route nowhere.
func DefaultAddresses(n int) []Address {
	n = min(n, 2*254)
	out := make([]Address, n)
	for i := range out {
		public := fmt.Sprintf("198.51.100.%d", i+1)
		if i >= 254 {
			public = fmt.Sprintf("203.0.113.%d", i-254+1)
		}
		out[i] = Address{Private: fmt.Sprintf("172.31.%d.%d", i/250, 10+i%250), Public: public}
	}
	return out
}
