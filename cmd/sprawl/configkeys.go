package main

import (
	"reflect"

	"github.com/sprawlsec/sprawl/internal/configfile"
	"github.com/sprawlsec/sprawl/inventory"
)

// configFormat is the config file format: the keys of fileConfig, and
// inventory.PolicyConfig for the inventory section, which the inventory
// commands decode (configPolicy) and scans only accept. A key added to
// either is known to the key check and to docs/configuration.md's test.
var configFormat = configfile.Format{
	Type:     reflect.TypeOf(fileConfig{}),
	Sections: map[string]reflect.Type{"inventory": reflect.TypeOf(inventory.PolicyConfig{})},
	NotScalar: map[string]string{
		"inventory": `"inventory" is the inventory policy section (environments, max-age, rule-max-age, path-max-age, unused-after), not the database; name the database with --inventory or ` + envInventory,
	},
	TopKeys: "format:, allowlist:, inventory:, …",
}

// checkConfigKeys rejects a key the config file format does not have, at
// any depth (see configfile.Format.Check), with exit code 2.
func checkConfigKeys(data []byte, name string) error {
	if err := configFormat.Check(data, name); err != nil {
		return usageErr("%w", err)
	}
	return nil
}
