/**
 * Importing this file registers every built-in driver with the component
 * registry. Each vendor folder registers its own types; none of them loads its
 * npm client until a component of that type is initialised.
 */
import './local';
import './kafka';
import './in-memory';
import './sqlite';
import './postgresql';
import './azure-servicebus';
import './cron';
import './http';
import './localstorage';
import './redis';
import './static';
import './kubernetes';
