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
	crmHistory, whHistory := CRMHistory(), WarehouseHistory()
	c.Sources = []config.SourceConfig{
		{Name: "crm", Database: config.Database{Driver: "sqlite", DSN: config.SQLiteDSN(filepath.Join(dataDir, "crm.db"))}, SystemOfRecord: true, Records: &crm, History: &crmHistory},
		{Name: "warehouse", Database: config.Database{Driver: "sqlite", DSN: config.SQLiteDSN(filepath.Join(dataDir, "warehouse.db"))}, IdentityGraph: &wh, History: &whHistory},
	}
	c.Traits = []settings.TraitSetting{{Key: "lifetime_value", DisplayName: "Lifetime value"}, {Key: "plan"}}
	// The demo's desktop shows customer details and history, which turns the header and search on.
	c.Components.CustomerDetails = true
	c.Components.CustomerHistory = true
	c.Details.Groups = []settings.TraitGroup{
		{Name: "Contact", Traits: []settings.DetailTrait{{Key: "first_name"}, {Key: "last_name"}, {Key: "customer_since", Type: settings.TypeDate}}},
		{Name: "Account", Traits: []settings.DetailTrait{{Key: "plan"}, {Key: "lifetime_value", Type: settings.TypeCurrency, Currency: "USD"}}},
	}
	c.History.Events = []settings.HistoryEvent{
		{Name: "Order Completed", Properties: []settings.HistoryProperty{{Key: "order_id", Label: "Order"}, {Key: "revenue", Label: "Total"}, {Key: "currency", Label: "Currency"}}},
		{Name: "Page Viewed"},
		{Name: "Flex - Engagement Completed", Label: "Conversation ended"},
		{Name: "Flex - Engagement Initiated", Label: "Conversation started"},
	}
	// The demo listens on loopback only, where auth may be off; the gateway says so at start.
	c.Auth.Disabled = true
	// A person reads the demo's log, and stops it with Ctrl-C.
	c.Log.Format = "text"
	c.Shutdown.Delay = 0
	return c
}
