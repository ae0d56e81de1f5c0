package itty

import "strconv"

// Params holds the route parameters of a matched request, such as name in
// /greet/<str:name>/. Values arrive percent-decoded. The router has already
// checked each value against its converter, so Int on an <int:...> parameter
// and Float on a <float:...> parameter always succeed.
type Params struct {
	route  *route // the matched route, whose names these are; nil before a match
	values []string
	buf    [6]string // backing store for values, so matching allocates nothing
}

func (p *Params) reset() {
	p.route = nil
	if cap(p.values) > len(p.buf) {
		p.values = p.values[:0] // keep a grown buffer for the next request
	} else {
		p.values = p.buf[:0]
	}
}

// names returns the parameter names of the matched route, in path order.
func (p *Params) names() []string {
	if p.route == nil {
		return nil
	}
	return p.route.names
}

// Len returns the number of parameters.
func (p *Params) Len() int { return len(p.values) }

// Name returns the name of the i'th parameter, in path order.
func (p *Params) Name(i int) string { return p.names()[i] }

// Value returns the value of the i'th parameter, in path order.
func (p *Params) Value(i int) string { return p.values[i] }

// Lookup returns the value of the named parameter and whether the route has it.
func (p *Params) Lookup(name string) (string, bool) {
	for i, n := range p.names() {
		if n == name {
			return p.values[i], true
		}
	}
	return "", false
}

// Get returns the value of the named parameter, or "" if the route has none.
func (p *Params) Get(name string) string {
	v, _ := p.Lookup(name)
	return v
}

// Int returns the named parameter as an int. It returns 0 if the route has no
// such parameter or its value is not an integer; for an <int:...> parameter
// it always returns the value.
func (p *Params) Int(name string) int {
	n, _ := strconv.Atoi(p.Get(name))
	return n
}

// Float returns the named parameter as a float64. It returns 0 if the route
// has no such parameter or its value is not a number; for a <float:...> or
// <int:...> parameter it always returns the value.
func (p *Params) Float(name string) float64 {
	f, _ := strconv.ParseFloat(p.Get(name), 64)
	return f
}
