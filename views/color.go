package views

// The plain views colour with a handful of SGR sequences and nothing else:
// they never move the cursor. Colour is on only when the caller asks (main
// decides from the terminal and NO_COLOR).

const (
	sgrBold   = "1"
	sgrRed    = "31"
	sgrGreen  = "32"
	sgrYellow = "33"
)

// painter wraps text in SGR sequences when colour is on.
type painter bool

func (c painter) paint(s string, codes ...string) string {
	if !c || s == "" || len(codes) == 0 {
		return s
	}
	seq := "\x1b["
	for i, code := range codes {
		if i > 0 {
			seq += ";"
		}
		seq += code
	}
	return seq + "m" + s + "\x1b[0m"
}
