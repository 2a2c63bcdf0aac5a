from reception.cli import main

raise SystemExit(main())
