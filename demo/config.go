package demo

import (
	"path/filepath"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/settings"
)

// Config returns the configuration of the zero-config demo: a SQLite CRM (the system of
// record) and a SQLite warehouse in dataDir, the gateway's store beside them, the customer
// details component on and auth off.
func Config(dataDir string) *config.Config {
	c := config.Default()
	c.DataDir = dataDir
	crm, wh := CRMTable(), WarehouseGraph()
	c.Sources = []config.SourceConfig{
		{Name: "crm", Database: config.Database{Driver: "sqlite", DSN: config.SQLiteDSN(filepath.Join(dataDir, "crm.db"))}, SystemOfRecord: true, Records: &crm},
		{Name: "warehouse", Database: config.Database{Driver: "sqlite", DSN: config.SQLiteDSN(filepath.Join(dataDir, "warehouse.db"))}, IdentityGraph: &wh},
	}
	c.Traits = []settings.TraitSetting{{Key: "lifetime_value", DisplayName: "Lifetime value"}}
	// The demo's desktop shows customer details, which turns the header and search on.
	c.Components.CustomerDetails = true
	// The demo listens on loopback only, where auth may be off; the gateway says so at start.
	c.Auth.Disabled = true
	// A person reads the demo's log, and stops it with Ctrl-C.
	c.Log.Format = "text"
	c.Shutdown.Delay = 0
	return c
}
