"""来访登记: the intake form, the history panel and the page that saves and prints."""
