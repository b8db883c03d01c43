"""Notifier adapters: console (development), email over SMTP, SMS through SMS.ru."""
