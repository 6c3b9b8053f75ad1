-- Ecwid app lifecycle (application.installed / application.uninstalled webhooks).
ALTER TABLE stores ADD COLUMN installed_at timestamptz;
ALTER TABLE stores ADD COLUMN uninstalled_at timestamptz;
