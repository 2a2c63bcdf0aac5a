"""The main window's parts, one concern each: the pages and their navigation (``pages``), the status bar with its
deadline reminders (``status``), and the background sync's schedule (``sync_schedule``). ``ui.main_window`` puts
them together."""
