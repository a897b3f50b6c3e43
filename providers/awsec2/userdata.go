package awsec2

import (
	_ "embed"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// watchdog is the idle watchdog script installed on every instance.
//
//go:embed watchdog.sh
var watchdog string

// Paths on the instance.
const (
	WatchdogPath = "/usr/local/sbin/lithops-idle-watchdog"
	WatchdogUnit = "/etc/systemd/system/lithops-idle-watchdog.service"
)

// CloudConfig is the user data lithops gives an instance: a cloud-init
// cloud-config document. It is exported so that tests (and curious
// readers) can take it apart; ParseUserData reads one back.
type CloudConfig struct {
	// SSHDeleteKeys, SSHGenKeyTypes and SSHKeys make cloud-init install
	// the host key the client generated, and only it, before sshd starts:
	// the client knows the host's key before the first connection.
	SSHDeleteKeys  bool              `yaml:"ssh_deletekeys"`
	SSHGenKeyTypes []string          `yaml:"ssh_genkeytypes"`
	SSHKeys        map[string]string `yaml:"ssh_keys"`
	SSHPwauth      bool              `yaml:"ssh_pwauth"`
	WriteFiles     []WriteFile       `yaml:"write_files"`
	// Runcmd starts the idle watchdog.
	Runcmd [][]string `yaml:"runcmd"`
}

// WriteFile is a file cloud-init writes.
type WriteFile struct {
	Path        string `yaml:"path"`
	Owner       string `yaml:"owner"`
	Permissions string `yaml:"permissions"`
	Content     string `yaml:"content"`
}

// userData renders an instance's cloud-config: its host key (private half
// in OpenSSH PEM form, public half in authorized_keys form), and the idle
// watchdog for login user that powers off after idle.
func userData(hostKeyPEM, hostKeyPub, user string, idle time.Duration) ([]byte, error) {
	// The login goes into a systemd unit line: nothing but a login name.
	if !loginName.MatchString(user) {
		return nil, fmt.Errorf("%q is not a login name", user)
	}
	unit := strings.Join([]string{
		"[Unit]",
		"Description=lithops idle watchdog: power off after " + idle.String() + " without a lithops worker",
		"After=multi-user.target",
		"",
		"[Service]",
		fmt.Sprintf("Environment=LITHOPS_IDLE_SECONDS=%d", int64(idle/time.Second)),
		"Environment=LITHOPS_IDLE_USER=" + user,
		"ExecStart=" + WatchdogPath + " loop",
		"Restart=always",
		"RestartSec=10",
		"",
		"[Install]",
		"WantedBy=multi-user.target",
		"",
	}, "\n")
	cc := CloudConfig{
		SSHDeleteKeys:  true,
		SSHGenKeyTypes: []string{},
		SSHKeys: map[string]string{
			"ed25519_private": hostKeyPEM,
			"ed25519_public":  hostKeyPub,
		},
		WriteFiles: []WriteFile{
			{Path: WatchdogPath, Owner: "root:root", Permissions: "0755", Content: watchdog},
			{Path: WatchdogUnit, Owner: "root:root", Permissions: "0644", Content: unit},
		},
		Runcmd: [][]string{
			{"systemctl", "daemon-reload"},
			{"systemctl", "enable", "--now", "lithops-idle-watchdog.service"},
		},
	}
	var doc yaml.Node
	if err := doc.Encode(cc); err != nil {
		return nil, fmt.Errorf("render user data: %w", err)
	}
	if err := quoteWhatDoesNotRoundTrip(&doc, cc.SSHKeys); err != nil {
		return nil, fmt.Errorf("render user data: %w", err)
	}
	body, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("render user data: %w", err)
	}
	out := append([]byte("#cloud-config\n"), body...)
	if len(out) > 16384 {
		return nil, fmt.Errorf("user data is %d bytes, more than EC2's 16384", len(out))
	}
	return out, nil
}

// quoteWhatDoesNotRoundTrip writes the host keys anew into the encoded
// document, double-quoted when the YAML encoder's own choice of style would
// not read back as they were: yaml.v3 turns "\n" into an empty block scalar,
// and writes a line ending in a tab as one that does not parse. Double-quoted
// scalars escape every such character.
func quoteWhatDoesNotRoundTrip(doc *yaml.Node, keys map[string]string) error {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "ssh_keys" {
			continue
		}
		m := root.Content[i+1]
		for j := 0; j+1 < len(m.Content); j += 2 {
			v, ok := keys[m.Content[j].Value]
			if !ok {
				return fmt.Errorf("ssh_keys: unexpected key %q", m.Content[j].Value)
			}
			n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
			probe := yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
				{Kind: yaml.ScalarNode, Tag: "!!str", Value: "k"}, n,
			}}
			b, err := yaml.Marshal(&probe)
			var back map[string]string
			if err != nil || yaml.Unmarshal(b, &back) != nil || back["k"] != v {
				n.Style = yaml.DoubleQuotedStyle
			}
			m.Content[j+1] = n
		}
		return nil
	}
	return fmt.Errorf("no ssh_keys in the document")
}

// ParseUserData reads back the user data userData renders.
func ParseUserData(b []byte) (CloudConfig, error) {
	var cc CloudConfig
	if !strings.HasPrefix(string(b), "#cloud-config\n") {
		return cc, fmt.Errorf("user data is not a cloud-config document")
	}
	if err := yaml.Unmarshal(b, &cc); err != nil {
		return cc, fmt.Errorf("parse user data: %w", err)
	}
	return cc, nil
}

// File returns the content of the file written at path, and whether there
// is one.
func (cc CloudConfig) File(path string) (string, bool) {
	for _, f := range cc.WriteFiles {
		if f.Path == path {
			return f.Content, true
		}
	}
	return "", false
}

// UnitEnvironment returns the Environment= settings of the watchdog's unit.
func (cc CloudConfig) UnitEnvironment() []string {
	unit, _ := cc.File(WatchdogUnit)
	var env []string
	for _, line := range strings.Split(unit, "\n") {
		if v, ok := strings.CutPrefix(line, "Environment="); ok {
			env = append(env, v)
		}
	}
	return env
}
